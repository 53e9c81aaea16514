# The Debian package (issue 22): `cpack -G DEB` in a build directory where
# billingd is built writes meterline_<version>_<arch>.deb (README "Install as
# a Debian package"; tests/packaging/deb_test.sh checks it).
#   /usr/bin/billingd                        stripped
#   /lib/systemd/system/meterline.service    packaging/systemd/meterline.service
#   /etc/meterline/meterline.env             conffile, root:meterline 0640 after postinst
#   /usr/share/doc/meterline/                README.md and docs/*.md (under docs/, as README links them)
# The maintainer scripts (packaging/deb/) create the meterline user and
# /var/lib/meterline, and remove both on purge. With the Ninja generator cpack
# packages what is built and builds nothing itself.
# The install rules serve the package: `cmake --install` to a prefix puts
# billingd and the docs under it, the unit and the env file at their absolute paths.
if(NOT TARGET billingd)
  return()
endif()

include(GNUInstallDirs)

install(TARGETS billingd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/meterline.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/meterline.env DESTINATION /etc/meterline
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB mtl_doc_pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${mtl_doc_pages} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

set(MTL_DEB_MAINTAINER "Meterline maintainers <maintainers@meterline.invalid>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME meterline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR Meterline)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "usage-based billing server")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The binary is built RelWithDebInfo; the package ships it without the debug info.
set(CPACK_STRIP_FILES ON)

# meterline_<version>_<arch>.deb (no -<release> while CPACK_DEBIAN_PACKAGE_RELEASE is unset).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${MTL_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The extended description (the summary above is its first line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "billingd meters usage, prices it against plans, issues invoices and keeps\nStripe in step. It serves a REST API and a web console, and keeps its data\nin SQLite under /var/lib/meterline or in PostgreSQL.\n\nThe meterline service runs it as the meterline user, configured by\n/etc/meterline/meterline.env.")
# dpkg-shlibdeps declares the shared libraries billingd links; the postinst
# needs adduser (postrm uses deluser when it is still installed, else userdel).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
# Maintainer scripts 0755, the other control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
