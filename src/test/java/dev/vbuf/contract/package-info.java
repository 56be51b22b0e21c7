/**
 * Contract tests: the deployment, release and monitoring files ({@code cloudrun/}, {@code k8s/}, {@code terraform/})
 * held against each other, against their tools' parsers and schemas, and against the code and a running server; and
 * what the release jar ships. They run in failsafe's {@code contract-tests} execution, after {@code package}, not
 * among the unit tests (pom.xml).
 */
package dev.vbuf.contract;
