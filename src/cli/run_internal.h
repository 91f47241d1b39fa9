/* run_internal.h — the value parsers behind the run/create flags
 * (run_parse.c), shared by cmd_run.c and the unit tests. Each does what
 * the docker CLI (or the Go library it calls) does with the same text and
 * fails with the same words; none touches the daemon.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/error.h"

/* Go's csv reader on one line: fields split at ',', "…" quoting with ""
 * for a quote. NULL with -EINVAL (`bare " in non-quoted-field`). */
char **csv_split(const char *line, struct husk_error **err);

/* nat.ParsePortSpecs over every -p value (after the long syntax
 * "target=80,published=8080,protocol=udp" is converted), merged into
 * exposed ({"80/tcp":{}}) and bindings ({"80/tcp":[{HostIp,HostPort}]}).
 * -EINVAL with nat's message (`invalid containerPort: x`). */
int ports_parse(const char *spec, json_t *exposed, json_t *bindings, struct husk_error **err);
/* --expose "80", "80/udp", "8000-8010/tcp" into exposed. */
int expose_parse(const char *spec, json_t *exposed, struct husk_error **err);

/* opts.MountOpt: one --mount CSV value as a mount.Mount object (Type,
 * Source, Target, ReadOnly, BindOptions, VolumeOptions, TmpfsOptions).
 * -EINVAL (`target is required`, `unexpected key 'x' in 'y'`). */
json_t *mount_parse(const char *value, struct husk_error **err);

/* units.ParseUlimit: "nofile=100:200" → {"Name","Hard","Soft"}. */
json_t *ulimit_parse(const char *value, struct husk_error **err);
/* --device "/dev/x[:/dev/y][:rwm]" → {PathOnHost, PathInContainer,
 * CgroupPermissions}. */
json_t *device_parse(const char *value, struct husk_error **err);
/* --restart "no", "always", "unless-stopped", "on-failure[:N]" →
 * {"Name","MaximumRetryCount"}. */
json_t *restart_parse(const char *value, struct husk_error **err);
/* --add-host "name:ip" or "name=ip" → "name:ip". */
char *extra_host_parse(const char *value, struct husk_error **err);
/* An IP address in its canonical form ("::1"); NULL with -EINVAL. */
char *ip_canonical(const char *value, struct husk_error **err);
/* --cap-add/--cap-drop: upper-cased, "CAP_" prefixed (not "ALL"), sorted,
 * deduplicated; ALL alone when present; NULL entries for none. */
int caps_normalize(char *const *add, char *const *drop, json_t **ret_add, json_t **ret_drop);
/* --security-opt values, with seccomp=FILE replaced by the file's compact
 * JSON (as json.Compact: whitespace outside strings dropped, nothing
 * else changed). */
json_t *security_opts_parse(char *const *values, struct husk_error **err);
/* encoding/json's Compact of text; -EINVAL when it is not JSON. */
char *json_compact_text(const char *text, size_t len, struct husk_error **err);

/* filepath.Abs: path made absolute against the working directory and
 * cleaned lexically ("./a/../b" → "<cwd>/b"). NULL on failure (errno). */
char *path_absolute(const char *path);

/* An object with obj's members in sorted key order (Go marshals maps so).
 * NULL on OOM. Steals obj. */
json_t *json_sorted(json_t *obj);
