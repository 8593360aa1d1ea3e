/* test_payments.c — placeholder */
int main(void) { return 0; }
