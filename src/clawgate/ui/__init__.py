"""The control UI: plain HTML, CSS and ES modules in `static/`, served by the gateway (`gateway/ui_api/`).

No build step and no framework: the files here are what the browser runs. docs/ui/README.md says why.
"""
