/* routes.c — the Engine API route table. Add a route here and its
 * handler in h_<area>.c; nothing else needs to change. */
#include "api/handlers.h"

const struct api_route api_routes[] = {
        {"GET", "/_ping", h_ping, 0, 0},
        {"GET", "/version", h_version, 0, 0},
        {"GET", "/info", h_info, 0, 0},
        {NULL, NULL, NULL, 0, 0},
};
