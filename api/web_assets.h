/* The web app's files, built into the binary (web/embed.cmake generates
 * the table from web/src/ and the graph library in web/node_modules). */
#ifndef TL_API_WEB_ASSETS_H
#define TL_API_WEB_ASSETS_H

#include <stddef.h>

struct tl_web_asset {
	const char *name;         /* file name, served as /ui/assets/NAME */
	const char *type;         /* Content-Type */
	const unsigned char *data;
	size_t len;
	const char *etag;         /* quoted strong ETag */
};

/* tl_web_assets_count entries, then one with name NULL. */
extern const struct tl_web_asset tl_web_assets[];
extern const size_t tl_web_assets_count;

#endif
