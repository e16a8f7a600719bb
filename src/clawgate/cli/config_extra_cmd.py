"""`clawgate config file|schema`: the active config file's path (OpenClaw's `config file`) and the JSON
Schema of clawgate.json (for editors and `$schema`). Attached to the `config` group."""

from __future__ import annotations

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import emit_json


def register(config: click.Group) -> None:
    @config.command("file")
    @json_option
    def file_cmd(as_json: bool) -> None:
        """Print the path of the config file this CLI reads ($CLAWGATE_CONFIG, else HOME/clawgate.json)."""
        p = state().paths
        if as_json:
            emit_json({"path": str(p.config), "from": p.config_from, "exists": p.config.exists()})
        else:
            click.echo(str(p.config))

    @config.command("schema")
    @json_option
    def schema_cmd(as_json: bool) -> None:
        """Print the JSON Schema of clawgate.json (keys as written in the file)."""
        import json

        from clawgate.config.schema import Config

        schema = Config.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "clawgate.json"
        if as_json:
            emit_json(schema)
        else:
            click.echo(json.dumps(schema, indent=2))
