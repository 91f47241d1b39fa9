/* spec_seccomp.c — linux.seccomp: actions, operators, architectures and
 * flags checked against the names libseccomp and the kernel know; syscall
 * names are left for the runtime to resolve with libseccomp.
 */
#include <string.h>

#include "base/str.h"
#include "oci/spec_internal.h"

#define MAX_SECCOMP_ARGS 6 /* a syscall has at most six arguments */

static int parse_action(json_t *obj, const char *path, const char *key,
                        enum oci_seccomp_action *ret, struct husk_error **err)
{
	const char *s = NULL;
	char q[SPEC_QUOTE_MAX];
	long v;

	if (json_get_string(obj, path, key, true, &s, err) < 0)
		return -EINVAL;
	if (oci_name_lookup(&oci_seccomp_actions_table, s, &v) < 0)
		return spec_fail(err, path, key, "unknown action %s", spec_quote(s, q));
	*ret = (enum oci_seccomp_action)v;
	return 0;
}

static int parse_errno_ret(json_t *obj, const char *path, const char *key, bool *has, unsigned *ret,
                           struct husk_error **err)
{
	uint32_t v = 0;

	if (spec_get_u32(obj, path, key, false, &v, err) < 0)
		return -EINVAL;
	*has = spec_has(obj, key);
	*ret = v;
	return 0;
}

static int parse_arg(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_seccomp_arg *a = elem;
	const char *op = NULL;
	char q[SPEC_QUOTE_MAX];
	uint64_t index = 0;
	long v;

	if (spec_get_u64_max(item, path, "index", true, MAX_SECCOMP_ARGS - 1, &index, err) < 0 ||
	    spec_get_u64(item, path, "value", true, &a->value, err) < 0 ||
	    spec_get_u64(item, path, "valueTwo", false, &a->value_two, err) < 0 ||
	    json_get_string(item, path, "op", true, &op, err) < 0)
		return -EINVAL;
	if (oci_name_lookup(&oci_seccomp_ops_table, op, &v) < 0)
		return spec_fail(err, path, "op", "unknown operator %s", spec_quote(op, q));
	a->index = (unsigned)index;
	a->op = (enum oci_seccomp_op)v;
	return 0;
}

/* "names" (an array), or the legacy "name" string of runtime-spec < 1.0. */
static int parse_syscall_names(json_t *item, const char *path, struct oci_seccomp_rule *rule,
                               struct husk_error **err)
{
	const char *legacy = NULL;
	size_t i = 0;

	if (!spec_has(item, "names")) {
		if (json_get_string(item, path, "name", false, &legacy, err) < 0)
			return -EINVAL;
		if (!legacy)
			return spec_fail(err, path, "names", "required");
		if (strv_push(&rule->names, legacy) < 0)
			return spec_oom(err);
	} else if (json_get_strv(item, path, "names", true, &rule->names, err) < 0)
		return -EINVAL;
	if (!rule->names[0])
		return spec_fail(err, path, "names", "must not be empty");
	STRV_FOREACH (n, rule->names) {
		if (isempty(*n))
			return error_set(err, EINVAL, "%s.names[%zu]: empty syscall name", path, i);
		i++;
	}
	return 0;
}

static int parse_syscall(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	static const struct spec_array_type arg_type = {sizeof(struct oci_seccomp_arg), parse_arg,
	                                                NULL};
	struct oci_seccomp_rule *rule = elem;
	void *args = NULL;

	if (parse_syscall_names(item, path, rule, err) < 0 ||
	    parse_action(item, path, "action", &rule->action, err) < 0 ||
	    parse_errno_ret(item, path, "errnoRet", &rule->has_errno_ret, &rule->errno_ret, err) <
	            0)
		return -EINVAL;
	if (spec_parse_array(item, path, "args", false, &arg_type, &args, &rule->n_args, err) < 0)
		return -EINVAL;
	rule->args = args;
	return 0;
}

static void syscall_release(void *elem)
{
	struct oci_seccomp_rule *rule = elem;

	strv_free(rule->names);
	free(rule->args);
}

static int check_names(json_t *obj, const char *path, const char *key,
                       const struct oci_name_table *t, const char *what, char ***ret,
                       struct husk_error **err)
{
	size_t i = 0;
	long v;

	if (json_get_strv(obj, path, key, false, ret, err) < 0)
		return -EINVAL;
	STRV_FOREACH (s, *ret) {
		char q[SPEC_QUOTE_MAX];

		if (oci_name_lookup(t, *s, &v) < 0)
			return error_set(err, EINVAL, "%s.%s[%zu]: unknown %s %s", path, key, i,
			                 what, spec_quote(*s, q));
		i++;
	}
	return 0;
}

/* runc: NOTIFY needs a listener, and cannot be the default action (the
 * agent would have to answer every syscall, its own included). */
static int check_notify(const struct oci_seccomp *s, const char *path, struct husk_error **err)
{
	bool notify = false;

	if (s->default_action == OCI_SECCOMP_NOTIFY)
		return spec_fail(err, path, "defaultAction",
		                 "SCMP_ACT_NOTIFY cannot be the default action");
	for (size_t i = 0; i < s->n_syscalls; i++)
		notify = notify || s->syscalls[i].action == OCI_SECCOMP_NOTIFY;
	if (notify && isempty(s->listener_path))
		return spec_fail(err, path, "listenerPath", "required by SCMP_ACT_NOTIFY");
	return 0;
}

int spec_parse_seccomp(json_t *obj, const char *path, struct oci_seccomp *s,
                       struct husk_error **err)
{
	static const struct spec_array_type type = {sizeof(struct oci_seccomp_rule), parse_syscall,
	                                            syscall_release};
	void *rules = NULL;

	s->present = true;
	if (parse_action(obj, path, "defaultAction", &s->default_action, err) < 0 ||
	    parse_errno_ret(obj, path, "defaultErrnoRet", &s->has_default_errno_ret,
	                    &s->default_errno_ret, err) < 0 ||
	    check_names(obj, path, "architectures", &oci_seccomp_archs_table, "architecture",
	                &s->architectures, err) < 0 ||
	    check_names(obj, path, "flags", &oci_seccomp_flags_table, "flag", &s->flags, err) < 0 ||
	    spec_get_abs_path(obj, path, "listenerPath", false, &s->listener_path, err) < 0 ||
	    spec_get_strdup(obj, path, "listenerMetadata", false, &s->listener_metadata, err) < 0)
		return -EINVAL;
	if (spec_parse_array(obj, path, "syscalls", false, &type, &rules, &s->n_syscalls, err) < 0)
		return -EINVAL;
	s->syscalls = rules;
	return check_notify(s, path, err);
}

void spec_seccomp_release(struct oci_seccomp *s)
{
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
		syscall_release(&s->syscalls[i]);
	free(s->syscalls);
}
