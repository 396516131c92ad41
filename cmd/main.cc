#include <cstdio>

int main() {
  std::puts("andon " ANDON_VERSION);
  return 0;
}
