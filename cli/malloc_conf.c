/* jemalloc's settings, read at its start-up (linked into the programs
 * only when jemalloc is: CMakeLists.txt). Freed pages go back to the
 * system after half a second instead of ten: RocksDB frees a whole
 * memtable (up to 96 MiB) at each flush, and with the default those
 * pages stayed resident while the next one filled. */
const char *malloc_conf = "dirty_decay_ms:500,muzzy_decay_ms:0";
