# kiln_add_site(NAME CONFIG): compile one site configuration into a binary.
#
#   CONFIG --kiln-gen--> <bin>/NAME/gen/{site.c,locations.gperf}
#          --gperf-----> <bin>/NAME/gen/locations.c (included by site.c)
#          --cc--------> <bin>/NAME/kiln, linked with kiln_runtime
#
# Only the generated C is compiled per site; the runtime library is shared,
# so building another site after the first is a one-file compile.

# kiln_site_name(OUT CONFIG): the site's name, the config's base name (up
# to its last dot) with anything but letters, digits, '_', '-' and '.'
# replaced by '_': "sites/01-shop.json" is "01-shop", built as target
# site_01-shop into build/01-shop/kiln.
function(kiln_site_name out config)
  get_filename_component(base "${config}" NAME_WLE)
  string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" base "${base}")
  if(base STREQUAL "")
    set(base "site")
  endif()
  set(${out} "${base}" PARENT_SCOPE)
endfunction()

function(kiln_add_site name config)
  get_filename_component(config "${config}" ABSOLUTE)
  set(dir "${CMAKE_BINARY_DIR}/${name}")
  set(gen "${dir}/gen")
  set(strict_flag "")
  if(KILN_STRICT)
    set(strict_flag "--strict")
  endif()
  # A config that does not exist (yet) is no dependency of the build
  # system's, which would fail with "no rule to make it": kiln-gen runs and
  # says what is wrong, like for any other bad config.
  set(config_dep "")
  if(EXISTS "${config}")
    set(config_dep "${config}")
  endif()
  add_custom_command(
    OUTPUT "${gen}/site.c" "${gen}/locations.gperf"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${gen}"
    COMMAND kiln-gen ${strict_flag} --out "${gen}" "${config}"
    DEPENDS kiln-gen ${config_dep}
    COMMENT "kiln-gen ${name}"
    VERBATIM)
  # gperf runs in the gen directory on a relative name, so no absolute path
  # reaches the #line directives of its output.
  add_custom_command(
    OUTPUT "${gen}/locations.c"
    COMMAND "${GPERF}" --output-file=locations.c locations.gperf
    WORKING_DIRECTORY "${gen}"
    DEPENDS "${gen}/locations.gperf"
    COMMENT "gperf ${name}"
    VERBATIM)
  add_executable(site_${name} "${gen}/site.c")
  set_source_files_properties("${gen}/site.c" PROPERTIES
    OBJECT_DEPENDS "${gen}/locations.c")
  target_include_directories(site_${name} PRIVATE "${gen}")
  target_link_libraries(site_${name} PRIVATE kiln_runtime)
  set_target_properties(site_${name} PROPERTIES
    OUTPUT_NAME kiln
    RUNTIME_OUTPUT_DIRECTORY "${dir}")
endfunction()
