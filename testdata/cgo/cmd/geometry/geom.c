#include <math.h>

#include "geom.h"

double geom_cube_root(double x) { return cbrt(x); }

double geom_power(double base, double exponent) { return pow(base, exponent); }

double geom_hypot(double x, double y) { return hypot(x, y); }
