/* monitor_proto.c — the monitor's socket addresses and exit record,
 * shared by husk-monitor and huskd. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "engine/monitor_internal.h"

int monitor_sockaddr(const char *dir, const char *name, struct sockaddr_un *ret, int *ret_dirfd,
                     struct husk_error **err)
{
	int n;

	*ret = (struct sockaddr_un){.sun_family = AF_UNIX};
	*ret_dirfd = -1;
	n = snprintf(ret->sun_path, sizeof(ret->sun_path), "%s/%s", dir, name);
	if (n >= 0 && (size_t)n < sizeof(ret->sun_path))
		return 0;
	/* deep state directories exceed sun_path's 108 bytes: name the
	 * directory by an fd of ours instead */
	*ret_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_dirfd < 0)
		return error_set_errno(err, errno, "monitor directory \"%s\"", dir);
	snprintf(ret->sun_path, sizeof(ret->sun_path), "/proc/self/fd/%d/%s", *ret_dirfd, name);
	return 0;
}

json_t *monitor_exit_json(const struct monitor_exit *e)
{
	return json_pack("{s:i, s:b, s:s, s:o}", "exit_code", e->exit_code, "oom_killed",
	                 e->oom_killed, "finished_at", e->finished_at, "error",
	                 json_string_or_null(e->error));
}

int monitor_exit_parse(const char *buf, size_t len, struct monitor_exit *ret,
                       struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *at = NULL, *msg = NULL;
	int64_t code = 0;
	bool oom = false;
	int r;

	r = json_parse("exit record", buf, len, MONITOR_REPLY_MAX, &j, err);
	if (r == 0 && !json_is_object(j))
		r = error_set(err, EINVAL, "exit record: expected an object");
	if (r == 0 && (msg = json_string_value(json_object_get(j, "error"))) &&
	    !json_object_get(j, "exit_code"))
		return error_set(err, EIO, "%s", msg); /* an error answer, not a record */
	r = r ?: json_get_int64(j, "", "exit_code", true, &code, err);
	r = r ?: json_get_bool(j, "", "oom_killed", false, &oom, err);
	r = r ?: json_get_string(j, "", "finished_at", false, &at, err);
	if (r == 0 && (code < 0 || code > 255))
		r = error_set(err, EINVAL, "exit record: exit_code %lld: expected 0..255",
		              (long long)code);
	if (r < 0)
		return r;
	*ret = (struct monitor_exit){.exit_code = (int)code, .oom_killed = oom};
	snprintf(ret->finished_at, sizeof(ret->finished_at), "%s", at ? at : "");
	if (msg && !(ret->error = strdup(msg)))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

void monitor_exit_release(struct monitor_exit *e)
{
	if (!e)
		return;
	free(e->error);
	e->error = NULL;
}
