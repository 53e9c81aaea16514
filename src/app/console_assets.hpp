// The web console compiled into billingd (cmake/console_assets_script.cmake):
// the files of console/dist by their paths ("index.html", "assets/…"), with
// their precompressed .gz/.br siblings. Empty when billingd was built without
// Node.js or with -DMTL_EMBED_CONSOLE=OFF; CONSOLE_DIR serves a directory instead.
//
// Only the billingd executable links the generated file (the test binaries do
// not build the console): main() hands it to the app with RegisterConsole.
#pragma once

#include <span>

#include "core/embedded_file.hpp"

namespace meterline::app {

// Defined in the generated console_assets.cpp.
std::span<const EmbeddedFile> ConsoleAssets();

// What BuildApp serves when CONSOLE_DIR is not set. Call before BuildApp.
void RegisterConsole(std::span<const EmbeddedFile> files);
std::span<const EmbeddedFile> RegisteredConsole();

}  // namespace meterline::app
