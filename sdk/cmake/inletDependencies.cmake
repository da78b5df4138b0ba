# The libraries inlet links against; shared by the SDK's own build and
# by inletConfig.cmake, so a consumer finds exactly what the SDK was built with.
include(CMakeFindDependencyMacro)
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json 3.10 CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
