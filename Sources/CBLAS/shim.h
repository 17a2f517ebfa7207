#ifndef GENRE_CBLAS_SHIM_H
#define GENRE_CBLAS_SHIM_H
#include <stddef.h>
#include <cblas.h>
/* OpenBLAS extension (declared in its cblas.h too; repeated so the shim documents what GENRE uses). */
void openblas_set_num_threads(int num_threads);

/* The LAPACK routines OpenBLAS exports that GENRE uses (Fortran ABI: every argument by pointer, column-major,
   one hidden length per character argument). Debian ships no LAPACK header with libopenblas-dev, so they are
   declared here; `nm -D libopenblas.so.0 | grep spotr` lists them. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void sposv_(const char *uplo, const int *n, const int *nrhs, float *a, const int *lda, float *b, const int *ldb,
            int *info, size_t uplo_len);
#endif
