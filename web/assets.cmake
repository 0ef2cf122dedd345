# Builds the web app's files into the taintline binary: every file of
# web/src/ and the graph library from web/node_modules (installed by
# `npm ci` in web/, scripts/install-deps.sh): cytoscape.js and
# d3-hierarchy) become byte arrays of one
# generated C file, linked into tl_api and served by api/routes_ui.c.
# Without node_modules the app is built without the graph library and says
# so in the page; the rest of taintline builds and runs as before.
file(GLOB TL_WEB_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/src/*)
file(GLOB TL_WEB_LIB CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/web/node_modules/cytoscape/dist/cytoscape.esm.min.mjs
  ${CMAKE_SOURCE_DIR}/web/node_modules/d3-hierarchy/dist/d3-hierarchy.min.js)
list(LENGTH TL_WEB_LIB TL_WEB_NLIB)
if(NOT TL_WEB_NLIB EQUAL 2)
  message(WARNING "web/node_modules is missing or incomplete (run `npm ci` in web/): "
                  "the web app is built without its graph libraries")
endif()
set(TL_WEB_OUT ${CMAKE_BINARY_DIR}/web_assets.c)
add_custom_command(
  OUTPUT ${TL_WEB_OUT}
  COMMAND ${CMAKE_COMMAND} -DOUT=${TL_WEB_OUT} "-DSRCS=${TL_WEB_SRCS}" "-DLIB=${TL_WEB_LIB}"
          -P ${CMAKE_SOURCE_DIR}/web/embed.cmake
  DEPENDS ${TL_WEB_SRCS} ${TL_WEB_LIB} ${CMAKE_SOURCE_DIR}/web/embed.cmake
  COMMENT "Embedding the web app's assets"
  VERBATIM)
target_sources(tl_api PRIVATE ${TL_WEB_OUT})
