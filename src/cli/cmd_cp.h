/* cmd_cp.h — husk cp, export and diff, with docker's path rules, words
 * and exit statuses.
 *
 * cp decides, as the docker CLI does, which directory a copy lands in and
 * whether the tar's top entry is renamed; the daemon only stats, streams
 * and extracts (HEAD/GET/PUT /containers/{id}/archive). On this side the
 * tar is made and unpacked by the system's GNU tar (linking libarchive
 * into husk would slow every command down), which never writes outside
 * the destination: absolute names and ".." are refused, links to such
 * places are only made once everything else is out.
 */
#pragma once

#include "cli/cli.h"

extern const struct flag_spec cli_cp_flags[];
extern const struct flag_spec cli_export_flags[];

/* husk cp [-a] [-L] [-q] CONTAINER:SRC DEST|-  and  SRC|- CONTAINER:DEST */
int cmd_cp(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
           struct husk_error **err);
/* husk export [-o FILE] CONTAINER */
int cmd_export(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err);
/* husk diff CONTAINER: "C /etc", "A /tmp/x", "D /bin/arch". */
int cmd_diff(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err);

/* Go's filepath.Clean, Dir and Base (new strings, NULL on OOM), which
 * docker's path rules are written in. */
char *cp_clean(const char *p);
char *cp_dir(const char *p);
char *cp_base(const char *p);
