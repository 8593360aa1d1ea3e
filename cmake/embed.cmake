# embed_file(<out.c> <symbol> <input>): turns a file into a
# C byte array (NUL-terminated, so text can be used as a string) plus its length.
set(EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_one.cmake)

function(embed_file out_c symbol input)
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out_c} -DSYMBOL=${symbol}
            -P ${EMBED_SCRIPT}
    DEPENDS ${input} ${EMBED_SCRIPT}
    COMMENT "Embedding ${symbol}"
    VERBATIM)
endfunction()

# embed_migrations(<out-sources-var> <prefix> <sql files...>): embeds each numbered
# migration (NNN_name.sql) and writes a table `const migration <prefix>_migrations[]`
# with `<prefix>_migration_count`, in version order.
function(embed_migrations out_var prefix)
  set(sources)
  set(decls "")
  set(rows "")
  set(files ${ARGN})
  list(SORT files)
  foreach(f ${files})
    get_filename_component(base ${f} NAME)
    string(REGEX MATCH "^([0-9]+)_" _ ${base})
    if(NOT CMAKE_MATCH_1)
      message(FATAL_ERROR "migration ${base} must start with a number")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    string(MAKE_C_IDENTIFIER "${prefix}_${base}" sym)
    embed_file(${CMAKE_CURRENT_BINARY_DIR}/${sym}.c ${sym} ${CMAKE_CURRENT_SOURCE_DIR}/${f})
    list(APPEND sources ${CMAKE_CURRENT_BINARY_DIR}/${sym}.c)
    string(APPEND decls "extern const unsigned char ${sym}[];\n")
    string(APPEND rows "    {${version}, \"${base}\", (const char *)${sym}},\n")
  endforeach()
  list(LENGTH files count)
  set(table ${CMAKE_CURRENT_BINARY_DIR}/${prefix}_migrations.c)
  file(WRITE ${table}.tmp "/* Generated: the ${prefix} migrations in version order. */\n#include \"migrate.h\"\n${decls}\nextern const migration ${prefix}_migrations[];\nextern const size_t ${prefix}_migration_count;\nconst migration ${prefix}_migrations[] = {\n${rows}};\nconst size_t ${prefix}_migration_count = ${count};\n")
  configure_file(${table}.tmp ${table} COPYONLY)
  list(APPEND sources ${table})
  set(${out_var} ${sources} PARENT_SCOPE)
endfunction()

# embed_texts(<out-sources-var> <prefix> <files...>): embeds each file as
# `<prefix>_<file name as identifier>` (e.g. scripts/hold_create.lua -> lua_hold_create_lua).
function(embed_texts out_var prefix)
  set(sources)
  foreach(f ${ARGN})
    get_filename_component(base ${f} NAME)
    string(MAKE_C_IDENTIFIER "${prefix}_${base}" sym)
    embed_file(${CMAKE_CURRENT_BINARY_DIR}/${sym}.c ${sym} ${CMAKE_CURRENT_SOURCE_DIR}/${f})
    list(APPEND sources ${CMAKE_CURRENT_BINARY_DIR}/${sym}.c)
  endforeach()
  set(${out_var} ${sources} PARENT_SCOPE)
endfunction()
