/* descriptor_pool.c — indexes a serialized FileDescriptorSet: slices each file out of
 * the set's wire format in place, unpacks it once to collect names, and keeps sorted
 * arrays of files, symbols and extensions. Read-only (thread-safe) once built. */
#include "descriptor_pool.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "google/protobuf/descriptor.pb-c.h"

/* Deeper message nesting than this is taken as malformed input. */
#define POOL_MAX_DEPTH 64

typedef struct pool_file {
    const uint8_t *bytes;  /* the FileDescriptorProto, inside the caller's set */
    size_t len;
    const char *name;      /* in pool->mem, as are the arrays below */
    const char **dep_names;
    size_t *deps;          /* indexes of the direct dependencies */
    size_t dep_count;
    size_t *closure;       /* this file, then its transitive dependencies, each once */
    size_t closure_len;
} pool_file;

/* A name and the file that declares it: files by name and symbols share the shape. */
typedef struct pool_entry {
    const char *name;
    size_t file;
} pool_entry;

typedef struct pool_extension {
    const char *extendee;  /* fully qualified, without the leading dot */
    int number;
    size_t file;
} pool_extension;

struct descriptor_pool {
    arena mem;  /* names, file arrays: everything but the three arrays below */
    pool_file *files;
    size_t file_count;
    pool_entry *files_by_name;  /* sorted by name; malloc'd */
    pool_entry *symbols;        /* sorted by name; malloc'd, grown while indexing */
    size_t symbol_count, symbol_cap;
    pool_extension *extensions; /* sorted by extendee, then number; malloc'd */
    size_t extension_count, extension_cap;
};

/* ---- wire format of the set ---- */

/* Reads a varint at *p; returns 0 and advances, or -1 when truncated or overlong. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Skips the value of a field of wire type `type`; returns 0, or -1 when malformed
 * (groups are not expected in a FileDescriptorSet and are refused). */
static int skip_value(const uint8_t **p, const uint8_t *end, unsigned type)
{
    uint64_t n = 0;
    switch (type) {
    case 0: return read_varint(p, end, &n);
    case 1: n = 8; break;
    case 2:
        if (read_varint(p, end, &n) != 0)
            return -1;
        break;
    case 5: n = 4; break;
    default: return -1;
    }
    if (n > (uint64_t)(end - *p))
        return -1;
    *p += n;
    return 0;
}

/* Finds the next `file` (field 1, length-delimited) at or after *p, skipping other
 * fields. Returns 1 with the slice, 0 at the end of the set, -1 when malformed. */
static int next_file(const uint8_t **p, const uint8_t *end, const uint8_t **file, size_t *len)
{
    while (*p < end) {
        uint64_t tag, n;
        if (read_varint(p, end, &tag) != 0 || tag >> 3 == 0 || tag > UINT32_MAX)
            return -1;
        if (tag >> 3 != 1) {
            if (skip_value(p, end, (unsigned)(tag & 7)) != 0)
                return -1;
            continue;
        }
        if ((tag & 7) != 2 || read_varint(p, end, &n) != 0 || n > (uint64_t)(end - *p))
            return -1;
        *file = *p;
        *len = (size_t)n;
        *p += n;
        return 1;
    }
    return 0;
}

/* Counts the files of the set and checks its framing; -1 when malformed. */
static long count_files(const uint8_t *set, size_t len)
{
    const uint8_t *p = set, *end = set + len, *file;
    size_t file_len;
    long count = 0;
    int rc;
    while ((rc = next_file(&p, end, &file, &file_len)) == 1)
        if (++count == INT_MAX)
            return -1;
    return rc == 0 ? count : -1;
}

/* ---- collecting symbols ---- */

static int grow(void **array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 256;
    void *bigger = realloc(*array, want * size);
    if (!bigger)
        return -1;
    *array = bigger;
    *cap = want;
    return 0;
}

/* Records `scope.name` (or `name` at the root) as declared by `file`; the full name,
 * allocated in pool->mem, goes to *full when wanted. -1 for a missing name. */
static int add_symbol(descriptor_pool *pool, const char *scope, const char *name, size_t file,
                      const char **full)
{
    if (!name || !name[0])
        return -1;
    if (grow((void **)&pool->symbols, &pool->symbol_cap, pool->symbol_count, sizeof *pool->symbols) != 0)
        return -1;
    size_t scope_len = strlen(scope), name_len = strlen(name);
    char *s = arena_alloc(&pool->mem, scope_len + name_len + 2);
    if (scope_len) {
        memcpy(s, scope, scope_len);
        s[scope_len++] = '.';
    }
    memcpy(s + scope_len, name, name_len + 1);
    pool->symbols[pool->symbol_count++] = (pool_entry){s, file};
    if (full)
        *full = s;
    return 0;
}

/* Extensions declared in `scope`: each is a symbol and an (extendee, number) entry. */
static int add_extensions(descriptor_pool *pool, const char *scope, Google__Protobuf__FieldDescriptorProto **ext,
                          size_t n, size_t file)
{
    for (size_t i = 0; i < n; i++) {
        const char *extendee = ext[i]->extendee;
        if (!extendee || !ext[i]->has_number || add_symbol(pool, scope, ext[i]->name, file, NULL) != 0)
            return -1;
        if (grow((void **)&pool->extensions, &pool->extension_cap, pool->extension_count,
                 sizeof *pool->extensions) != 0)
            return -1;
        if (extendee[0] == '.')
            extendee++;
        pool->extensions[pool->extension_count++] =
            (pool_extension){arena_strdup(&pool->mem, extendee), ext[i]->number, file};
    }
    return 0;
}

/* Enums declared in `scope` and their values. A value is found both as Enum.VALUE
 * and, by protobuf's scoping rule (values are siblings of their enum), as VALUE in
 * the enum's scope: protoc rejects sets where the latter would collide. */
static int add_enums(descriptor_pool *pool, const char *scope, Google__Protobuf__EnumDescriptorProto **enums,
                     size_t n, size_t file)
{
    for (size_t i = 0; i < n; i++) {
        const char *full;
        if (add_symbol(pool, scope, enums[i]->name, file, &full) != 0)
            return -1;
        for (size_t v = 0; v < enums[i]->n_value; v++) {
            const char *value = enums[i]->value[v]->name;
            if (add_symbol(pool, full, value, file, NULL) != 0 || add_symbol(pool, scope, value, file, NULL) != 0)
                return -1;
        }
    }
    return 0;
}

/* A message declared in `scope`: itself, its fields and oneofs, then (recursively)
 * its nested messages, enums and extensions. */
static int add_message(descriptor_pool *pool, const char *scope, const Google__Protobuf__DescriptorProto *m,
                       size_t file, int depth)
{
    const char *full;
    if (depth > POOL_MAX_DEPTH || add_symbol(pool, scope, m->name, file, &full) != 0)
        return -1;
    for (size_t i = 0; i < m->n_field; i++)
        if (add_symbol(pool, full, m->field[i]->name, file, NULL) != 0)
            return -1;
    for (size_t i = 0; i < m->n_oneof_decl; i++)
        if (add_symbol(pool, full, m->oneof_decl[i]->name, file, NULL) != 0)
            return -1;
    for (size_t i = 0; i < m->n_nested_type; i++)
        if (add_message(pool, full, m->nested_type[i], file, depth + 1) != 0)
            return -1;
    if (add_enums(pool, full, m->enum_type, m->n_enum_type, file) != 0)
        return -1;
    return add_extensions(pool, full, m->extension, m->n_extension, file);
}

static int add_services(descriptor_pool *pool, const char *scope, Google__Protobuf__ServiceDescriptorProto **svc,
                        size_t n, size_t file)
{
    for (size_t i = 0; i < n; i++) {
        const char *full;
        if (add_symbol(pool, scope, svc[i]->name, file, &full) != 0)
            return -1;
        for (size_t m = 0; m < svc[i]->n_method; m++)
            if (add_symbol(pool, full, svc[i]->method[m]->name, file, NULL) != 0)
                return -1;
    }
    return 0;
}

/* Every top-level declaration of a file, in its package. */
static int add_file_symbols(descriptor_pool *pool, const Google__Protobuf__FileDescriptorProto *fd, size_t file)
{
    const char *scope = fd->package ? fd->package : "";
    for (size_t i = 0; i < fd->n_message_type; i++)
        if (add_message(pool, scope, fd->message_type[i], file, 0) != 0)
            return -1;
    if (add_enums(pool, scope, fd->enum_type, fd->n_enum_type, file) != 0 ||
        add_services(pool, scope, fd->service, fd->n_service, file) != 0)
        return -1;
    return add_extensions(pool, scope, fd->extension, fd->n_extension, file);
}

/* Unpacks file `f` (its slice is set) to record its name, dependencies and symbols. */
static int index_file(descriptor_pool *pool, size_t f)
{
    pool_file *file = &pool->files[f];
    int rc = -1;
    Google__Protobuf__FileDescriptorProto *fd =
        google__protobuf__file_descriptor_proto__unpack(NULL, file->len, file->bytes);
    if (!fd || !fd->name || !fd->name[0])
        goto cleanup;
    file->name = arena_strdup(&pool->mem, fd->name);
    file->dep_count = fd->n_dependency;
    file->dep_names = arena_alloc(&pool->mem, fd->n_dependency * sizeof *file->dep_names);
    for (size_t i = 0; i < fd->n_dependency; i++)
        file->dep_names[i] = arena_strdup(&pool->mem, fd->dependency[i]);
    rc = add_file_symbols(pool, fd, f);
cleanup:
    if (fd)
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    return rc;
}

/* ---- sorted indexes ---- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const pool_entry *)a)->name, ((const pool_entry *)b)->name);
}

/* By name, then file: a stable order even for (invalid) duplicate symbols. */
static int compare_entries(const void *a, const void *b)
{
    const pool_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->file > y->file) - (x->file < y->file);
}

static int compare_extensions(const void *a, const void *b)
{
    const pool_extension *x = a, *y = b;
    int c = strcmp(x->extendee, y->extendee);
    return c ? c : (x->number > y->number) - (x->number < y->number);
}

static int find_entry(const pool_entry *entries, size_t count, const char *name)
{
    if (!name || !count)
        return -1;
    pool_entry key = {name, 0};
    const pool_entry *hit = bsearch(&key, entries, count, sizeof *entries, compare_names);
    return hit ? (int)hit->file : -1;
}

/* Sorts the files by name, refusing duplicate names. */
static int index_file_names(descriptor_pool *pool)
{
    pool->files_by_name = malloc((pool->file_count ? pool->file_count : 1) * sizeof *pool->files_by_name);
    if (!pool->files_by_name)
        return -1;
    for (size_t i = 0; i < pool->file_count; i++)
        pool->files_by_name[i] = (pool_entry){pool->files[i].name, i};
    qsort(pool->files_by_name, pool->file_count, sizeof *pool->files_by_name, compare_names);
    for (size_t i = 1; i < pool->file_count; i++)
        if (strcmp(pool->files_by_name[i - 1].name, pool->files_by_name[i].name) == 0)
            return -1;
    return 0;
}

/* Turns dependency names into file indexes: a set made with --include_imports holds
 * every import, so a missing one means the set is not self-contained (-1). */
static int resolve_dependencies(descriptor_pool *pool)
{
    for (size_t f = 0; f < pool->file_count; f++) {
        pool_file *file = &pool->files[f];
        file->deps = arena_alloc(&pool->mem, file->dep_count * sizeof *file->deps);
        for (size_t i = 0; i < file->dep_count; i++) {
            int dep = find_entry(pool->files_by_name, pool->file_count, file->dep_names[i]);
            if (dep < 0)
                return -1;
            file->deps[i] = (size_t)dep;
        }
    }
    return 0;
}

/* Breadth-first from `f` over imports, each file once (import cycles, which protoc
 * refuses, end there too). `seen` holds file_count zeroed flags; left dirty. */
static void compute_closure(descriptor_pool *pool, size_t f, unsigned char *seen)
{
    pool_file *file = &pool->files[f];
    size_t *out = arena_alloc(&pool->mem, pool->file_count * sizeof *out);
    size_t count = 0;
    out[count++] = f;
    seen[f] = 1;
    for (size_t i = 0; i < count; i++) {
        const pool_file *from = &pool->files[out[i]];
        for (size_t d = 0; d < from->dep_count; d++)
            if (!seen[from->deps[d]]) {
                seen[from->deps[d]] = 1;
                out[count++] = from->deps[d];
            }
    }
    file->closure = out;
    file->closure_len = count;
}

static int compute_closures(descriptor_pool *pool)
{
    unsigned char *seen = malloc(pool->file_count ? pool->file_count : 1);
    if (!seen)
        return -1;
    for (size_t f = 0; f < pool->file_count; f++) {
        memset(seen, 0, pool->file_count);
        compute_closure(pool, f, seen);
    }
    free(seen);
    return 0;
}

/* ---- building ---- */

/* Slices and indexes every file of the set (already counted into file_count). */
static int index_files(descriptor_pool *pool, const uint8_t *set, size_t len)
{
    const uint8_t *p = set, *end = set + len;
    for (size_t f = 0; f < pool->file_count; f++) {
        pool_file *file = &pool->files[f];
        if (next_file(&p, end, &file->bytes, &file->len) != 1 || index_file(pool, f) != 0)
            return -1;
    }
    if (pool->symbol_count) /* qsort wants a non-NULL array even when empty */
        qsort(pool->symbols, pool->symbol_count, sizeof *pool->symbols, compare_entries);
    if (pool->extension_count)
        qsort(pool->extensions, pool->extension_count, sizeof *pool->extensions, compare_extensions);
    return 0;
}

descriptor_pool *descriptor_pool_new(const uint8_t *set, size_t len)
{
    static const uint8_t empty[1];
    if (!set && len)
        return NULL;
    if (!set) /* no set is an empty one (and NULL + 0 is not pointer arithmetic C allows) */
        set = empty;
    long count = count_files(set, len);
    if (count < 0)
        return NULL;
    descriptor_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    arena_init(&pool->mem);
    pool->file_count = (size_t)count;
    pool->files = arena_alloc(&pool->mem, pool->file_count * sizeof *pool->files);
    if (index_files(pool, set, len) != 0 || index_file_names(pool) != 0 || resolve_dependencies(pool) != 0 ||
        compute_closures(pool) != 0) {
        descriptor_pool_free(pool);
        return NULL;
    }
    return pool;
}

void descriptor_pool_free(descriptor_pool *pool)
{
    if (!pool)
        return;
    free(pool->files_by_name);
    free(pool->symbols);
    free(pool->extensions);
    arena_free(&pool->mem);
    free(pool);
}

/* ---- queries ---- */

size_t descriptor_pool_file_count(const descriptor_pool *pool) { return pool ? pool->file_count : 0; }

const char *descriptor_pool_file_name(const descriptor_pool *pool, size_t file)
{
    return pool && file < pool->file_count ? pool->files[file].name : NULL;
}

const uint8_t *descriptor_pool_file_bytes(const descriptor_pool *pool, size_t file, size_t *len)
{
    const pool_file *f = pool && file < pool->file_count ? &pool->files[file] : NULL;
    if (len)
        *len = f ? f->len : 0;
    return f ? f->bytes : NULL;
}

int descriptor_pool_find_file(const descriptor_pool *pool, const char *name)
{
    return pool ? find_entry(pool->files_by_name, pool->file_count, name) : -1;
}

int descriptor_pool_find_symbol(const descriptor_pool *pool, const char *symbol)
{
    return pool ? find_entry(pool->symbols, pool->symbol_count, symbol) : -1;
}

/* Index of the first extension of `extendee` in pool->extensions (lower bound). */
static size_t first_extension(const descriptor_pool *pool, const char *extendee)
{
    size_t lo = 0, hi = pool->extension_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pool->extensions[mid].extendee, extendee) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int descriptor_pool_find_extension(const descriptor_pool *pool, const char *extendee, int number)
{
    if (!pool || !extendee || !pool->extension_count)
        return -1;
    pool_extension key = {extendee, number, 0};
    const pool_extension *hit =
        bsearch(&key, pool->extensions, pool->extension_count, sizeof *pool->extensions, compare_extensions);
    return hit ? (int)hit->file : -1;
}

size_t descriptor_pool_extension_numbers(const descriptor_pool *pool, const char *extendee, int *out, size_t cap)
{
    if (!pool || !extendee)
        return 0;
    size_t count = 0;
    for (size_t i = first_extension(pool, extendee);
         i < pool->extension_count && strcmp(pool->extensions[i].extendee, extendee) == 0; i++, count++)
        if (count < cap)
            out[count] = pool->extensions[i].number;
    return count;
}

size_t descriptor_pool_closure(const descriptor_pool *pool, size_t file, size_t *out, size_t cap)
{
    if (!pool || file >= pool->file_count)
        return 0;
    const pool_file *f = &pool->files[file];
    size_t n = f->closure_len < cap ? f->closure_len : cap;
    if (n)
        memcpy(out, f->closure, n * sizeof *out);
    return f->closure_len;
}
