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

/* h_store.c */
void h_system_df(struct api_request *req);
void h_system_check(struct api_request *req);

/* The value of the Server header: "husk/<version> (linux)". */
const char *api_server_header(void);
