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
        /* h_registry.c: pull (through /images/create), push, login */
        {"POST", "/images/{name*}/push", h_image_push, 0, 0},
        {"POST", "/auth", h_auth, 0, 0},
        /* h_events.c, h_volumes.c */
        {"GET", "/events", h_events, 0, 0},
        {"GET", "/volumes", h_volumes_list, 0, 0},
        {"POST", "/volumes/create", h_volumes_create, 0, 0},
        {"POST", "/volumes/prune", h_volumes_prune, 0, 0},
        {"GET", "/volumes/{name}", h_volume_inspect, 0, 0},
        {"DELETE", "/volumes/{name}", h_volume_delete, 0, 0},
        /* h_containers.c, h_exec.c */
        {"POST", "/containers/create", h_containers_create, 0, 0},
        {"GET", "/containers/json", h_containers_list, 0, 0},
        {"POST", "/containers/prune", h_containers_prune, 0, 0},
        {"GET", "/containers/{name}/json", h_container_inspect, 0, 0},
        {"POST", "/containers/{name}/start", h_container_start, 0, 0},
        {"POST", "/containers/{name}/stop", h_container_stop, 0, 0},
        {"POST", "/containers/{name}/restart", h_container_restart, 0, 0},
        {"POST", "/containers/{name}/kill", h_container_kill, 0, 0},
        {"POST", "/containers/{name}/pause", h_container_pause, 0, 0},
        {"POST", "/containers/{name}/unpause", h_container_unpause, 0, 0},
        {"POST", "/containers/{name}/rename", h_container_rename, 0, 0},
        {"POST", "/containers/{name}/update", h_container_update, 0, 0},
        {"POST", "/containers/{name}/resize", h_container_resize, 0, 0},
        {"GET", "/containers/{name}/top", h_container_top, 0, 0},
        {"POST", "/containers/{name}/wait", h_container_wait, 0, 0},
        {"POST", "/containers/{name}/attach", h_container_attach, 0, 0},
        {"GET", "/containers/{name}/logs", h_container_logs, 0, 0},
        {"GET", "/containers/{name}/stats", h_container_stats, 0, 0},
        {"DELETE", "/containers/{name}", h_container_delete, 0, 0},
        {"POST", "/containers/{name}/exec", h_container_exec, 0, 0},
        {"POST", "/exec/{id}/start", h_exec_start, 0, 0},
        {"POST", "/exec/{id}/resize", h_exec_resize, 0, 0},
        {"GET", "/exec/{id}/json", h_exec_inspect, 0, 0},
        {NULL, NULL, NULL, 0, 0},
};
