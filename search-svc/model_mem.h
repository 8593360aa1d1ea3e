/* model_mem.h — memory for the read model's hot data (entries, slot rows, counters, the
 * view's rows): carved from large regions backed by transparent huge pages, so a query
 * that touches hundreds of resources walks few pages (page walks are what scattered
 * reads cost, more so in a VM and with page-table isolation). Size classes with free
 * lists; not thread-safe: only the refresher allocates and frees (ebr_collect runs in
 * it; model_free after it stopped). Under AddressSanitizer it is plain malloc/free. */
#ifndef SEARCH_SVC_MODEL_MEM_H
#define SEARCH_SVC_MODEL_MEM_H

#include <stddef.h>

/* Zeroed memory of at least size bytes, 64-byte aligned; never NULL (aborts). */
void *mm_alloc(size_t size);
void mm_free(void *p);
/* Returns every region to the system (shutdown; nothing may be in use). */
void mm_release_all(void);

#endif
