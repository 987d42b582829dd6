"""The interactive API reference at ``/api/v1/docs``: Swagger UI over ``/api/v1/openapi.json``.

The viewer's scripts and styles come from a Python package (``openapi-ui-bundles``, Swagger UI
5, which reads OpenAPI 3.1) and are served by the API itself under ``/api/v1/docs/assets``, so
the page works with no internet access: nothing is loaded from a CDN.
"""

from __future__ import annotations

from litestar import MediaType, get
from litestar.static_files import create_static_files_router
from openapi_ui_bundles.swagger_ui import static_path

ASSETS_PATH = "/docs/assets"

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hatched API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
"""


@get("/docs", include_in_schema=False, media_type=MediaType.HTML, sync_to_thread=False)
def api_docs() -> str:
    return DOCS_PAGE


api_docs_assets = create_static_files_router(
    path=ASSETS_PATH,
    directories=[static_path],
    include_in_schema=False,
    name="api_docs_assets",
    cache_control=None,
)
