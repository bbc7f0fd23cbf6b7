# Install rules and the Debian packages (`make package`; README "Operating
# Missionlog"). Two packages: missionlog (the server, the CLI, the systemd
# unit, an example configuration and policy) and missionlog-demo (the demo
# data in data/, architecture-independent, optional).
include(GNUInstallDirs)

set(debian_dir ${PROJECT_SOURCE_DIR}/deploy/debian)
set(doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/missionlog)
set(demo_doc_dir ${CMAKE_INSTALL_DATAROOTDIR}/doc/missionlog-demo)

install(TARGETS missionlogd missionlog RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT server)
# Debian's own places, whatever the install prefix (/usr in the package).
install(FILES ${debian_dir}/missionlogd.service
        DESTINATION /lib/systemd/system COMPONENT server)
install(FILES ${debian_dir}/missionlog.sysusers DESTINATION lib/sysusers.d
        RENAME missionlog.conf COMPONENT server)
install(FILES ${debian_dir}/missionlog.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME missionlog.conf COMPONENT server)
install(FILES ${debian_dir}/missionlogd.flags
        DESTINATION /etc/missionlog COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/policy.textproto
        DESTINATION /etc/missionlog COMPONENT server)

# Debian policy 12.7: a copyright file and a compressed changelog for each.
set(changelog_gz ${CMAKE_BINARY_DIR}/debian/changelog.gz)
add_custom_command(
  OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian
  COMMAND gzip -9 -n -c ${debian_dir}/changelog > ${changelog_gz}
  DEPENDS ${debian_dir}/changelog
  COMMENT "The packages' changelog.gz")
add_custom_target(debian_changelog ALL DEPENDS ${changelog_gz})
install(FILES ${debian_dir}/copyright ${changelog_gz}
        DESTINATION ${doc_dir} COMPONENT server)
# Manual pages, compressed as Debian policy 12.1 asks.
foreach(page missionlogd.8 missionlog.1)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  set(page_gz ${CMAKE_BINARY_DIR}/debian/${page}.gz)
  add_custom_command(
    OUTPUT ${page_gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian
    COMMAND gzip -9 -n -c ${debian_dir}/${page} > ${page_gz}
    DEPENDS ${debian_dir}/${page}
    COMMENT "The manual page ${page}")
  list(APPEND manual_pages ${page_gz})
  install(FILES ${page_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
          COMPONENT server)
endforeach()
add_custom_target(debian_manual_pages ALL DEPENDS ${manual_pages})
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${doc_dir} COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/policy.textproto
        DESTINATION ${doc_dir}/examples COMPONENT server)
install(FILES ${debian_dir}/copyright-demo RENAME copyright
        DESTINATION ${demo_doc_dir} COMPONENT demo)
install(FILES ${changelog_gz} DESTINATION ${demo_doc_dir} COMPONENT demo)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/missionlog/demo
        COMPONENT demo)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT
    "Missionlog maintainers <maintainers@users.noreply.r-seed-7aaebcee.example>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server demo)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://www.gov.uk/missions")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME missionlog)
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "missionlog-demo")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${debian_dir}/postinst ${debian_dir}/postrm ${debian_dir}/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
   "tamper-evident record of government decisions and accountability
Missionlog keeps an append-only, gap-free log of decisions, spending
choices and changes of who owns what, in RocksDB under a Merkle tree with
signed checkpoints, so that auditors can prove nothing was changed.

This package holds the server (missionlogd, a systemd service running as
its own user), the missionlog command-line client, an example
configuration and an example access policy.")

set(CPACK_DEBIAN_DEMO_PACKAGE_NAME missionlog-demo)
set(CPACK_DEBIAN_DEMO_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DEMO_PACKAGE_SECTION misc)
set(CPACK_COMPONENT_DEMO_DESCRIPTION
   "demo data for Missionlog (ministers, spending, organisations)
Real public data to import into Missionlog: the Institute for Government
Ministers Database, HM Treasury spending over 25,000 pounds, two GOV.UK
organisation snapshots and UK Contracts Finder releases, with the five
missions of 2024. Sources and licences are in
/usr/share/missionlog/demo/README.md.")

include(CPack)
