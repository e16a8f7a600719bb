"""What goes on the wire for one attempt beyond the dialect's body: the API kind's URL (`apikinds`), and
per-credential request decoration (`decorate.prepare`: OAuth refresh, subscription backends' headers and body
rules, token exchange). The executor calls `prepare()` once per try, just before sending."""
