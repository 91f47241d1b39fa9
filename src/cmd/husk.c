/* husk — the command-line client (docker-compatible verbs and flags). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
