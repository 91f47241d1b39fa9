#include "base/error.h"

#include <stdio.h>
#include <string.h>

/* Returned (never freed) when allocating the message itself failed. */
static struct husk_error oom_error = {ENOMEM, (char *)"out of memory"};

static void error_store(struct husk_error **err, int code, char *msg)
{
	struct husk_error *e;

	if (!msg) {
		*err = &oom_error;
		return;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		free(msg);
		*err = &oom_error;
		return;
	}
	e->code = code;
	e->msg = msg;
	*err = e;
}

int error_setv(struct husk_error **err, int code, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (code <= 0)
		code = code < 0 ? -code : EIO;
	if (!err || *err)
		return -code;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	error_store(err, code, msg);
	return -code;
}

int error_set(struct husk_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_setv(err, code, fmt, ap);
	va_end(ap);
	return r;
}

int error_set_errno(struct husk_error **err, int code, const char *fmt, ...)
{
	_cleanup_free_ char *head = NULL;
	va_list ap;
	int r;

	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	va_start(ap, fmt);
	r = vasprintf(&head, fmt, ap);
	va_end(ap);
	if (r < 0)
		head = NULL;
	return error_set(err, code, "%s: %s", head ? head : "error", strerror(code));
}

int error_wrap(struct husk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *head = NULL;
	char *msg = NULL;
	va_list ap;
	int r;

	if (!err || !*err)
		return -EIO;
	if (*err == &oom_error)
		return -ENOMEM;
	va_start(ap, fmt);
	r = vasprintf(&head, fmt, ap);
	va_end(ap);
	if (r < 0 || asprintf(&msg, "%s: %s", head, (*err)->msg) < 0)
		return -(*err)->code; /* keep the inner message rather than lose it */
	free((*err)->msg);
	(*err)->msg = msg;
	return -(*err)->code;
}

const char *error_message(const struct husk_error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}

int error_code(const struct husk_error *err)
{
	return err && err->code > 0 ? err->code : EIO;
}

void error_free(struct husk_error *err)
{
	if (!err || err == &oom_error)
		return;
	free(err->msg);
	free(err);
}

void error_clear(struct husk_error **err)
{
	if (!err)
		return;
	error_free(*err);
	*err = NULL;
}
