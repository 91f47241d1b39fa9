/* routes.c — the Engine API route table. Add a route here and its
 * handler in h_<area>.c; nothing else needs to change. */
#include "api/handlers.h"

const struct api_route api_routes[] = {
        {"GET", "/_ping", h_ping, 0, 0},
        {"GET", "/version", h_version, 0, 0},
        {"GET", "/info", h_info, 0, 0},
        {"GET", "/system/df", h_system_df, 0, 0},
        {"POST", "/system/check", h_system_check, 0, 0},
        /* h_images.c: the local image commands */
        {"GET", "/images/json", h_images_list, 0, 0},
        {"POST", "/images/prune", h_images_prune, 0, 0},
        {"GET", "/images/{name*}/json", h_image_inspect, 0, 0},
        {"GET", "/images/{name*}/history", h_image_history, 0, 0},
        {"POST", "/images/{name*}/tag", h_image_tag, 0, 0},
        {"DELETE", "/images/{name*}", h_image_delete, 0, 0},
        /* h_transfer.c: save, load, import (bodies streamed, uncapped) */
        {"GET", "/images/get", h_images_get, 0, 0},
        {"GET", "/images/{name*}/get", h_image_get, 0, 0},
        {"POST", "/images/load", h_images_load, API_ROUTE_STREAM_BODY, 0},
        {"POST", "/images/create", h_images_create, API_ROUTE_STREAM_BODY, 0},
        {NULL, NULL, NULL, 0, 0},
};
