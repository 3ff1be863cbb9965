#include "probe/thresh.h"

void pr_thresh_init(struct pr_thresh *t)
{
	t->state = -1;
	t->last = -1;
	t->run = 0;
}

bool pr_thresh_feed(struct pr_thresh *t, int outcome, long success_th, long failure_th)
{
	long need = outcome ? success_th : failure_th;

	outcome = outcome ? 1 : 0;
	if (need < 1)
		need = 1;
	if (t->last == outcome) {
		if (t->run < need)
			t->run++;
	} else {
		t->last = outcome;
		t->run = 1;
	}
	if (t->state == outcome || t->run >= need) {
		t->state = outcome;
		return true;
	}
	return false;
}
