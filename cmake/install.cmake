# `cmake --install` and `cpack -G DEB` (tools/build-deb.sh): what an install
# holds, under GNUInstallDirs' layout below any prefix:
#   bin/           lingerlab, lingerlab-agent, lingerlab-agent-static (the
#                  one file to copy to a machine under test, doc/remote.md),
#                  lingerlab-agent-lwip where built
#   share/lingerlab/matrix/   the matrices and expected tables; the binary
#                  finds them relative to itself (suite/cli/data_paths.h),
#                  so a copied install tree works
#   share/doc/lingerlab/      README.md and doc/*.md
#   share/man/man1/           a page per command, from help2man at build time
#   share/bash-completion/completions/lingerlab
# Included from the top-level CMakeLists.txt after every target exists.

install(TARGETS lingerlab lingerlab-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(_ll_opt lingerlab-agent-static lingerlab-agent-lwip)
  if(TARGET ${_ll_opt})
    install(TARGETS ${_ll_opt} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

install(DIRECTORY ${CMAKE_SOURCE_DIR}/matrix DESTINATION ${LINGERLAB_INSTALL_DATADIR}
        FILES_MATCHING PATTERN "*.json")
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB _ll_docs ${CMAKE_SOURCE_DIR}/doc/*.md)
install(FILES ${_ll_docs} ${CMAKE_SOURCE_DIR}/doc/junit.xsd DESTINATION ${CMAKE_INSTALL_DOCDIR}/doc)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/doc/img DESTINATION ${CMAKE_INSTALL_DOCDIR}/doc)
install(FILES ${CMAKE_SOURCE_DIR}/suite/cli/lingerlab.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME lingerlab)

# Man pages: help2man over each command's --help. The subcommands are run
# through small wrappers named lingerlab-<sub> (help2man names the page after
# the program) that exec lingerlab with argv[0] "lingerlab", so the pages
# read "Usage: lingerlab run", not the build directory's path.
find_program(LINGERLAB_HELP2MAN help2man)
if(LINGERLAB_HELP2MAN)
  set(_ll_man ${CMAKE_BINARY_DIR}/man)
  set(_ll_subs run list clean check diff report show keygen)
  set(_ll_see_also "lingerlab(1), lingerlab-agent(1)")
  foreach(_s ${_ll_subs})
    string(APPEND _ll_see_also ", lingerlab-${_s}(1)")
  endforeach()
  file(WRITE ${_ll_man}/see-also.h2m
       "[SEE ALSO]\n${_ll_see_also}\n\nThe full documentation is in share/doc/lingerlab under the install prefix\n"
       "(/usr for the .deb): README.md and doc/*.md of the source tree.\n")
  set(_ll_h2m ${LINGERLAB_HELP2MAN} --no-info --no-discard-stderr
      --version-string=${PROJECT_VERSION} --include=${_ll_man}/see-also.h2m)
  set(_ll_pages)
  # page name, program to run, what the page is about, targets it runs
  macro(_ll_man_page name program what)
    add_custom_command(OUTPUT ${_ll_man}/${name}.1
      COMMAND ${_ll_h2m} "--name=${what}" --output=${_ll_man}/${name}.1 ${program}
      DEPENDS ${ARGN} ${_ll_man}/see-also.h2m
      COMMENT "help2man ${name}.1" VERBATIM)
    list(APPEND _ll_pages ${_ll_man}/${name}.1)
  endmacro()
  _ll_man_page(lingerlab $<TARGET_FILE:lingerlab> "a conformance suite for TCP close semantics"
               lingerlab)
  _ll_man_page(lingerlab-agent $<TARGET_FILE:lingerlab-agent>
               "the lingerlab agent: performs TCP socket steps for the coordinator"
               lingerlab-agent)
  foreach(_s ${_ll_subs})
    file(GENERATE OUTPUT ${_ll_man}/bin/lingerlab-${_s}
         CONTENT "#!/bin/bash\nexec -a lingerlab '$<TARGET_FILE:lingerlab>' ${_s} \"$@\"\n"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                          WORLD_READ WORLD_EXECUTE)
    # NAME: the subcommand's own one-line description, the first line of its --help.
    add_custom_command(OUTPUT ${_ll_man}/lingerlab-${_s}.1
      COMMAND sh -c "w=$1 o=$2; shift 2; exec \"$@\" \"--name=$($w --help | head -n 1)\" --output=$o $w"
              sh ${_ll_man}/bin/lingerlab-${_s} ${_ll_man}/lingerlab-${_s}.1 ${_ll_h2m}
      DEPENDS lingerlab ${_ll_man}/see-also.h2m
      COMMENT "help2man lingerlab-${_s}.1" VERBATIM)
    list(APPEND _ll_pages ${_ll_man}/lingerlab-${_s}.1)
  endforeach()
  add_custom_target(man ALL DEPENDS ${_ll_pages})
  install(FILES ${_ll_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "lingerlab: no help2man (apt-get install help2man): no man pages are built or installed")
endif()

# The .deb: lingerlab_<version>_<arch>.deb, its library dependencies
# computed by dpkg-shlibdeps, plus iproute2 (lingerlab clean lists namespaces
# the way ip does).
set(LINGERLAB_PACKAGE_MAINTAINER "lingerlab maintainers <maintainers@lingerlab.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lingerlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "conformance suite for TCP close semantics (SO_LINGER, shutdown, RST vs FIN)")
# The extended description; dpkg's first line is the summary above.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "lingerlab runs a matrix of TCP close scenarios (SO_LINGER on and off,
shutdown(), close() with data unread or unsent) between two hosts, captures
the packets, classifies each outcome and compares it with the published
per-OS behaviour. Hosts are network namespaces on this machine, a gVisor
sandbox, a QEMU guest or remote machines running lingerlab-agent.
.
lingerlab-agent-static is a single statically linked agent (with packet
capture) to copy to a Linux machine under test.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${LINGERLAB_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lingerlab_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
include(CPack)

# The package as a user gets it (tools/check-deb.sh): cpack here, unpack it
# into a temporary directory, run `list`, case 04 on the netns target and case
# 04 on the remote lab with the package's static agent as both agents
# (capture checked). Root; label `package`; skips (77) without root or
# without dpkg-shlibdeps/file. Serial: it brings up tools/remote-lab.sh's lab
# (and takes down one left up by hand). Only where the static agent is built.
if(TARGET lingerlab-agent-static)
  add_test(NAME deb_test COMMAND ${CMAKE_SOURCE_DIR}/tools/check-deb.sh --build ${CMAKE_BINARY_DIR})
  set_tests_properties(deb_test PROPERTIES LABELS package RUN_SERIAL TRUE TIMEOUT 600
                       SKIP_RETURN_CODE 77)
endif()
