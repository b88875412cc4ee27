/* placeholder until the runtime core lands */
#include <stdio.h>
#include "server.h"
int kiln_serve(const struct kiln_site *site)
{
    (void)site;
    fprintf(stderr, "kiln: serving is not built yet\n");
    return 1;
}
