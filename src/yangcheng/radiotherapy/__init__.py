"""Planning and control software of a robotic radiotherapy system: phantoms, dose, plan
evaluation and respiratory motion prediction (`yangcheng.radiotherapy`)."""
