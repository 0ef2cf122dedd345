/* Fuzz target: script disassembly (bitcoin/script_asm.h) and the inner
 * script lookup the Esplora views use, on arbitrary bytes. Checks the
 * invariants that hold for every input: the text is bounded (at most
 * 23 characters per script byte plus a marker), a truncation marker only
 * ends the text, and the last push points inside the script. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bitcoin/script.h"
#include "bitcoin/script_asm.h"
#include "store/esplora_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a = tl_script_asm(size ? data : NULL, size);
	size_t n = strlen(a);
	if (n > 23 * size + 16) abort();
	const char *lt = strchr(a, '<');
	if (lt && strcmp(lt, "<push past end>") != 0 && strcmp(lt, "<unexpected end>") != 0) abort();
	free(a);
	const uint8_t *d;
	size_t k;
	if (tl_script_last_push(data, size, &d, &k) == 1 && (d < data || d + k > data + size)) abort();
	(void)tl_esplora_script_type(data, size);
	return 0;
}
