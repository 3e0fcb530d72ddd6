"""The Airflow plugin: mounts the app on the api-server and adds the page to the UI's navigation."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from .app import create_app

URL_PREFIX = "/wms-sync-health"
URL_ROUTE = "wms-sync-health"


class WmsSyncHealthPlugin(AirflowPlugin):
    name = "wms_sync_health"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "WMS sync health"}]
    # Shown in the navigation ("Browse"); the UI embeds the page at /plugin/<url_route>. The href has no
    # leading slash so it stays relative to the api-server's base URL behind a proxy.
    external_views = [
        {
            "name": "WMS sync health",
            "href": f"{URL_PREFIX.lstrip('/')}/",
            "url_route": URL_ROUTE,
            "destination": "nav",
            "category": "browse",
        }
    ]
