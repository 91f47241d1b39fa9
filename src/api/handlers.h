/* handlers.h — Engine API handlers, one file per area (h_<area>.c), and
 * the route table that maps requests to them (routes.c). Handlers get the
 * daemon's `struct engine` from api_ctx() and answer with api_reply_*().
 */
#pragma once

#include "api/server.h"

/* The full route table, NULL-method terminated. */
extern const struct api_route api_routes[];

/* h_system.c */
void h_ping(struct api_request *req);
void h_version(struct api_request *req);
void h_info(struct api_request *req);

/* h_images.c */
void h_images_list(struct api_request *req);
void h_image_inspect(struct api_request *req);
void h_image_history(struct api_request *req);
void h_image_tag(struct api_request *req);
void h_image_delete(struct api_request *req);
void h_images_prune(struct api_request *req);

/* h_transfer.c */
void h_images_get(struct api_request *req);
void h_image_get(struct api_request *req);
void h_images_load(struct api_request *req);
void h_images_create(struct api_request *req);

/* h_registry.c: pull, push, login */
struct registry_auth;
void h_images_pull(struct api_request *req); /* h_images_create with fromImage */
void h_image_push(struct api_request *req);
void h_auth(struct api_request *req);
/* Decode an X-Registry-Auth header: base64url (or standard base64, '='
 * padding optional) of Docker's AuthConfig JSON {"username", "password",
 * "auth" (base64 of user:password), "email", "serveraddress",
 * "identitytoken", "registrytoken"}. Absent, "{}" ("e30=") and null are
 * anonymous (*ret empty). ret_server (may be NULL) gets serveraddress or
 * NULL. -EINVAL "invalid X-Registry-Auth header: …" (-EFBIG past 64 KiB);
 * *ret is then empty. The caller releases *ret. */
int api_registry_auth_decode(const char *header, struct registry_auth *ret, char **ret_server,
                             struct husk_error **err);

/* h_events.c */
void h_events(struct api_request *req);
/* Publish an image event: id is the image ID (or, for pull and push, the
 * reference), name the "name" attribute (NULL: the id), as dockerd does. */
void api_image_event(struct api_request *req, const char *action, const char *id, const char *name);
/* The same for the image `image` resolves to now (nothing if none). */
void api_image_event_named(struct api_request *req, const char *action, const char *image,
                           const char *name);
/* One event per image the names resolve to (each image once). */
void api_image_events_named(struct api_request *req, const char *action, char *const *names);
/* untag/delete events from rmi's or prune's [{"Untagged"}, {"Deleted"}]
 * list; id (may be NULL) is the image rmi named. */
void api_image_events_removed(struct api_request *req, const char *id, json_t *removed);

/* h_networks.c */
void h_networks_list(struct api_request *req);
void h_network_inspect(struct api_request *req);
void h_network_create(struct api_request *req);
void h_network_delete(struct api_request *req);
void h_networks_prune(struct api_request *req);
void h_network_connect(struct api_request *req);
void h_network_disconnect(struct api_request *req);

/* h_volumes.c */
void h_volumes_list(struct api_request *req);
void h_volumes_create(struct api_request *req);
void h_volume_inspect(struct api_request *req);
void h_volume_delete(struct api_request *req);
void h_volumes_prune(struct api_request *req);
/* /system/df's "Volumes" (each with UsageData), appended to df's array. */
int api_volumes_disk_usage(struct api_request *req, json_t *df, struct husk_error **err);

/* h_containers.c */
void h_containers_create(struct api_request *req);
void h_containers_list(struct api_request *req);
void h_containers_prune(struct api_request *req);
void h_container_inspect(struct api_request *req);
void h_container_start(struct api_request *req);
void h_container_stop(struct api_request *req);
void h_container_restart(struct api_request *req);
void h_container_kill(struct api_request *req);
void h_container_pause(struct api_request *req);
void h_container_unpause(struct api_request *req);
void h_container_rename(struct api_request *req);
void h_container_update(struct api_request *req);
void h_container_resize(struct api_request *req);
void h_container_top(struct api_request *req);
void h_container_wait(struct api_request *req);
void h_container_attach(struct api_request *req);
void h_container_logs(struct api_request *req);
void h_container_stats(struct api_request *req);
void h_container_delete(struct api_request *req);
/* ?h=&w= of the resize endpoints; replies 400 itself and returns -EINVAL. */
int api_query_size(struct api_request *req, unsigned *ret_h, unsigned *ret_w);

/* h_archive.c */
void h_container_archive_head(struct api_request *req);
void h_container_archive_get(struct api_request *req);
void h_container_archive_put(struct api_request *req);
void h_container_export(struct api_request *req);
void h_container_changes(struct api_request *req);

/* h_exec.c */
void h_container_exec(struct api_request *req);
void h_exec_start(struct api_request *req);
void h_exec_resize(struct api_request *req);
void h_exec_inspect(struct api_request *req);

/* h_store.c */
void h_system_df(struct api_request *req);
void h_system_check(struct api_request *req);

/* The value of the Server header: "husk/<version> (linux)". */
const char *api_server_header(void);
