"""The manifest users paste into Slack matches what the code serves."""

from __future__ import annotations

import yaml

from app.config import PROJECT_ROOT
from app.slack import ids


def test_the_manifest_names_our_command_endpoint_and_scopes() -> None:
    manifest = yaml.safe_load((PROJECT_ROOT / "slack" / "manifest.yml").read_text())

    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["url"].endswith("/slack/events")
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": command["url"]}
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "chat:write.public",
        "files:read",
    ]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert len(manifest["display_information"]["name"]) <= 35
