/* fonts.h: the fonts inside the program: DejaVu Sans, Sans Bold and Sans Mono, as the build finds
 * them in Debian's fonts-dejavu-core and embeds them (tools/embed.c writes build/gen/fonts.c).
 * Their licence: viz/fonts/LICENSE. Each array holds a whole TrueType file. */
#ifndef SL_FONTS_H
#define SL_FONTS_H

extern const unsigned char sl_font_sans[], sl_font_sans_bold[], sl_font_mono[];
extern const unsigned long sl_font_sans_size, sl_font_sans_bold_size, sl_font_mono_size;

#endif
