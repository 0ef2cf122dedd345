/* Reports, as its own ctest entry, whether the reference data folder
 * (real mainnet blocks, tag-format samples, heist facts) is present. When
 * it is absent this shows as "Skipped" with the reason, and the tests that
 * need it are skipped one by one inside their programs. */
#include <stdio.h>
#include <sys/stat.h>

#include "tests/testutil.h"

int main(void)
{
	static const char *parts[] = { "mainnet", "mainnet/blk-sample", "tag-formats", "heists" };
	if (!tu_have_shared()) {
		printf("SKIPPED: reference data folder %s is absent; tests that read real mainnet blocks, "
		       "OFAC/TagPack samples and heist facts are skipped\n", TL_SHARED_DATA);
		return TL_TEST_SKIP;
	}
	int missing = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", TL_SHARED_DATA, parts[i]);
		int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		printf("%-22s %s\n", parts[i], ok ? "present" : "MISSING");
		if (!ok) missing++;
	}
	/* A partial folder is a broken checkout, not an absent one. */
	return missing ? 1 : 0;
}
