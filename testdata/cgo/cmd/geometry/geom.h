/* A tiny C library compiled into the package: libm's cbrt, pow and hypot. */
#ifndef GEOM_H
#define GEOM_H

double geom_cube_root(double x);
double geom_power(double base, double exponent);
double geom_hypot(double x, double y);

#endif
