"""How the OpenAPI document describes our Bearer token (drf-spectacular extension).

https://drf-spectacular.readthedocs.io/en/latest/customization.html#step-5-extensions
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token: `Authorization: Bearer rr_...`.",
        }
