#include <cstdio>

#include "auralis/version.hpp"

int main() {
  std::printf("auralis %s\n", auralis::kVersion);
  return 0;
}
