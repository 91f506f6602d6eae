/* main.c: the shapelab program: read the command line (parse.c), check that no output can
 * damage a file, run the subcommand.
 *
 * Exit codes: 0 done; 1 a check failed (gradcheck); 2 bad usage or bad input.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    Opts o;
    int rc = cli_parse(argc, argv, &o);
    SlError e;
    if (rc < 0 && o.threads > 1 && sl_threads_set(o.threads, &e) < 0)
        rc = cli_fail("--threads %d: %s", o.threads, e.msg);
    if (rc < 0)
        rc = cli_check_files(&o) != 0 ? 2 : o.run(&o);
    cli_opts_free(&o);
    return rc;
}
