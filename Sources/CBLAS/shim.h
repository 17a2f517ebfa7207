#ifndef GENRE_CBLAS_SHIM_H
#define GENRE_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS extension (declared in its cblas.h too; repeated so the shim documents what GENRE uses). */
void openblas_set_num_threads(int num_threads);
#endif
