# Enforces the layering at build time: the `layers` target runs cmake/check_layers.cmake over
# the source tree whenever a source file changes, and herald-server depends on it, so a file
# that includes a folder its part may not use fails the build.
file(GLOB_RECURSE HERALD_LAYERED_SOURCES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/protocol/*.h ${PROJECT_SOURCE_DIR}/protocol/*.cc
     ${PROJECT_SOURCE_DIR}/replication/*.h ${PROJECT_SOURCE_DIR}/replication/*.cc
     ${PROJECT_SOURCE_DIR}/broker/*.h ${PROJECT_SOURCE_DIR}/broker/*.cc
     ${PROJECT_SOURCE_DIR}/config/*.h ${PROJECT_SOURCE_DIR}/config/*.cc
     ${PROJECT_SOURCE_DIR}/server/*.h ${PROJECT_SOURCE_DIR}/server/*.cc
     ${PROJECT_SOURCE_DIR}/resp/*.h ${PROJECT_SOURCE_DIR}/resp/*.cc
     ${PROJECT_SOURCE_DIR}/gateway/*.h ${PROJECT_SOURCE_DIR}/gateway/*.cc
     ${PROJECT_SOURCE_DIR}/bench/*.h ${PROJECT_SOURCE_DIR}/bench/*.cc
     ${PROJECT_SOURCE_DIR}/tests/unit/*.h ${PROJECT_SOURCE_DIR}/tests/unit/*.cc)
set(HERALD_LAYERS_STAMP ${CMAKE_BINARY_DIR}/layers.stamp)
add_custom_command(
  OUTPUT ${HERALD_LAYERS_STAMP}
  COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DSTAMP=${HERALD_LAYERS_STAMP}
          -P ${PROJECT_SOURCE_DIR}/cmake/check_layers.cmake
  DEPENDS ${HERALD_LAYERED_SOURCES} ${PROJECT_SOURCE_DIR}/cmake/check_layers.cmake
  COMMENT "Checking which folders each part includes"
  VERBATIM)
add_custom_target(layers ALL DEPENDS ${HERALD_LAYERS_STAMP})
add_dependencies(herald_net layers)
add_dependencies(herald_resp layers)
add_dependencies(herald_gateway layers)
add_dependencies(herald-server layers)
