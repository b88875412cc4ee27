# cmake -DDIR=<templates dir> -DOUT=<file.c> -P embed_templates.cmake
#
# Turns every DIR/*.in into a byte array in OUT, so kiln-gen carries its
# templates inside the binary and never reads the source tree at run time.
# Only base names go into OUT: no absolute path reaches the build.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*.in")
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  file(READ "${DIR}/${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "((0x..,){16})" "\\1\n    " hex "${hex}")
  string(APPEND arrays "static const unsigned char template_${i}[] = {\n    ${hex}0x00};\n\n")
  string(APPEND table "    {\"${f}\", template_${i}, sizeof template_${i} - 1},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "/* Generated from the files in templates/ by gen/embed_templates.cmake. DO NOT EDIT. */\n"
  "#include \"template.h\"\n\n"
  "${arrays}"
  "const struct template_file template_files[] = {\n${table}};\n"
  "const size_t template_count = ${i};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
