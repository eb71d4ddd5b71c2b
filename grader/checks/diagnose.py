"""Failure signatures and the failures checks raise, in one namespace: `from grader.checks
import diagnose as D`, then `D.require_array(...)`, `D.scale_signature(...)`, `D.mismatch(...)`.

This module only gathers them (every profile's checks call them as `D.<name>`); each lives in
the module of its concept:

- grader/checks/signatures/  which known bug explains a difference (one module per concept:
  match, structure, factors, activations, softmax, linear, calls, sgd)
- grader/checks/findings.py  from a difference to the CheckFailure a student reads
- grader/checks/blame.py     a shape error retold to blame the array's producer

Adding a signature: write the function in its concept's module, test it on an array made by
the buggy formula (tests/checks/test_diagnose.py), import it here, and call it from the check
that sees that bug. A signature only one profile has goes to that profile's signatures.py.
"""

from __future__ import annotations

# Re-exports: the names checks call as D.<name> (and CheckFailure, diagnosis with them).
from grader.checks.blame import (blame_gradients, blame_producer, gradient_shape_problem,
                                 is_shape_error)
from grader.checks.findings import (NEAR_MISS_CAUSES, SUMMARY_ENTRIES, SUMMARY_ROWS, SUMMARY_SHOWN,
                                    Guarded, array_summary, call_watched, mismatch, raise_first,
                                    require_array, require_numeric, require_scalar, shape_errors)
from grader.checks.framework import CheckFailure, diagnosis
from grader.checks.signatures.activations import (STABLE_DERIVATIVE, activation_backward_signature,
                                                  activation_overflow_signature,
                                                  derivative_at_output_signature,
                                                  derivative_on_input_signature,
                                                  relu_mask_signature,
                                                  relu_softplus_function_signature,
                                                  relu_softplus_signature)
from grader.checks.signatures.calls import (accumulated_signature, batch_dependence_diagnosis,
                                            forward_is_the_problem, repeat_mismatch,
                                            stale_gradient_signature)
from grader.checks.signatures.factors import (constant_factor, loss_reduction_signature,
                                              name_factor, scale_signature)
from grader.checks.signatures.linear import (bias_gradient_signature, linear_dx_signature,
                                             weight_gradient_signature)
from grader.checks.signatures.match import MATCH_RTOL, _numeric, first, fmt, matches
from grader.checks.signatures.sgd import sgd_signature
from grader.checks.signatures.softmax import (binary_cross_entropy_signature,
                                              cross_entropy_value_signature,
                                              double_softmax_loss_signature, overflow_signature,
                                              softmax_axis_signature)
from grader.checks.signatures.structure import (dtype_signature, finite_signature,
                                                precision_signature, shape_signature)
