/* ebr.h — epoch-based reclamation: readers never lock; a writer that replaces an
 * immutable object retires the old one, which is freed once every reader that could
 * still see it has left its read section. Threads register on first use (up to
 * EBR_MAX_THREADS at once; a thread's slot is released when it exits). */
#ifndef SEARCH_SVC_EBR_H
#define SEARCH_SVC_EBR_H

#include <stddef.h>

#define EBR_MAX_THREADS 1024

/* A read section: pointers loaded inside stay valid until ebr_exit. Not nested. */
void ebr_enter(void);
void ebr_exit(void);

/* Hands ptr to free_fn once no reader can hold it (any thread; may free later). */
void ebr_retire(void *ptr, void (*free_fn)(void *));
/* Advances the epoch and frees what no reader can still see; returns how many. */
size_t ebr_collect(void);
/* Frees everything retired (only when no reader runs: shutdown). */
void ebr_drain(void);
/* Objects retired and not yet freed. */
size_t ebr_pending(void);

#endif
