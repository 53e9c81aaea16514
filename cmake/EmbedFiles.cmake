# embed_files(OUTPUT <file.cpp> NAMESPACE <ns> FUNCTION <name> FILES <abs paths...>)
# Generates, at build time, a C++ source defining
#   std::span<const meterline::EmbeddedFile> <ns>::<name>();
# with each file's base name and contents, in the order given. Regenerated when a file changes.
set(MTL_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files_script.cmake)

function(embed_files)
  cmake_parse_arguments(ARG "" "OUTPUT;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DNAMESPACE=${ARG_NAMESPACE}
            -DFUNCTION=${ARG_FUNCTION} "-DFILES=${files_arg}" -P ${MTL_EMBED_SCRIPT}
    DEPENDS ${ARG_FILES} ${MTL_EMBED_SCRIPT}
    COMMENT "Embedding ${ARG_FUNCTION}"
    VERBATIM)
endfunction()
