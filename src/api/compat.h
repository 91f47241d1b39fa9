/* compat.h — what the client's Engine API version changes, in one place.
 *
 * The engine speaks the newest shapes and never sees an API version. These
 * functions bring a request body of an older client to what the engine
 * takes (fields its version did not have are dropped, what it could not
 * ask is refused), and a reply to what the client's version expects
 * (fields added later removed, fields removed later put back), as dockerd
 * does per version. Versions are numbers: 143 for 1.43.
 */
#pragma once

#include <jansson.h>
#include "base/error.h"

/* The first version of each change served here. */
#define API_V_HEALTH_START_INTERVAL 144 /* Healthcheck.StartInterval */
#define API_V_ENDPOINT_MAC          144 /* MacAddress per endpoint, Config's deprecated */
#define API_V_MULTI_ENDPOINTS       144 /* create with several EndpointsConfig */
#define API_V_RRO_BINDS             144 /* read-only binds recursively read-only */
#define API_V_NO_VIRTUAL_SIZE       144 /* VirtualSize gone from image lists, inspect, df */
#define API_V_RUNTIME_STATUS        144 /* /info's Runtimes[].status */
#define API_V_DNS_NAMES             144 /* NetworkSettings.Networks[].DNSNames filled */
#define API_V_ALIASES_AS_GIVEN      145 /* Aliases without the short ID (not served yet) */

/* POST /containers/create's body (Config fields, HostConfig,
 * NetworkingConfig), changed in place for the engine. Warnings for the
 * reply are appended to warnings (an array). -EINVAL with dockerd's words
 * for what the version cannot ask (several networks before 1.44, a MAC
 * address that contradicts its endpoint's, ...). */
int compat_container_create(unsigned version, json_t *body, json_t *warnings,
                            struct husk_error **err);
/* POST /networks/{id}/connect's EndpointConfig (may be NULL), in place. */
void compat_network_connect(unsigned version, json_t *epc);

/* Replies, changed in place. */
void compat_container_inspect(unsigned version, json_t *ctr);
void compat_image_list(unsigned version, json_t *list);
void compat_image_inspect(unsigned version, json_t *img);
void compat_system_df(unsigned version, json_t *df);
void compat_info(unsigned version, json_t *info);
