/* viz.c: placeholder unit so the visualizer library exists while it is being built. */
#include "viz.h"

int sl_viz_version(void);
int sl_viz_version(void)
{
    return SL_VIZ_VERSION;
}
