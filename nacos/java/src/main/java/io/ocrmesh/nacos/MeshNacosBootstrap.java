package io.ocrmesh.nacos;

import com.alibaba.nacos.NacosServerBasicApplication;
import com.alibaba.nacos.NacosServerWebApplication;
import com.alibaba.nacos.console.NacosConsole;
import com.alibaba.nacos.core.listener.startup.NacosStartUp;
import com.alibaba.nacos.core.listener.startup.NacosStartUpManager;
import com.alibaba.nacos.sys.env.Constants;
import com.alibaba.nacos.sys.env.DeploymentType;
import com.alibaba.nacos.sys.env.EnvUtil;
import com.alipay.sofa.jraft.RouteTable;
import java.util.Set;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jmx.export.MBeanExporter;
import org.springframework.jmx.support.RegistrationPolicy;

/**
 * Starts a Nacos 3.1 server from the published module jars.
 *
 * <p>Upstream starts through {@code com.alibaba.nacos.bootstrap.NacosBootstrap}, whose module
 * is not on Maven Central. This does the same sequence: a non-web core context
 * ({@link NacosServerBasicApplication}), then, as its children, the server web context
 * ({@link NacosServerWebApplication}, main port, HTTP open/admin API + gRPC on port+1000) and,
 * unless {@code nacos.deployment.type=server}, the console context ({@link NacosConsole},
 * {@code nacos.console.port}). The MCP registry context is left out: its module is not
 * published either. Lives outside {@code com.alibaba.nacos} so Nacos' component scan skips it.
 */
public final class MeshNacosBootstrap {

    private MeshNacosBootstrap() {
    }

    public static void main(String[] args) {
        try {
            start(args);
        } catch (Throwable e) {
            // Spring already logged the cause; without this a failed console context would leave
            // a half-started JVM running (the server web context keeps its non-daemon threads).
            System.err.println("[MeshNacosBootstrap] Nacos failed to start: " + e);
            System.exit(1);
        }
    }

    private static void start(String[] args) {
        // The console's in-process handlers are @ConditionalOnProperty(nacos.deployment.type=merged),
        // so the property must be visible to Spring, not only to EnvUtil (upstream startup.sh passes it).
        String type = System.getProperty(Constants.NACOS_DEPLOYMENT_TYPE);
        if (type == null || type.isBlank()) {
            type = Constants.NACOS_DEPLOYMENT_TYPE_MERGED;
            System.setProperty(Constants.NACOS_DEPLOYMENT_TYPE, type);
        }
        DeploymentType deploymentType = DeploymentType.getType(type);
        if (deploymentType != DeploymentType.MERGED && deploymentType != DeploymentType.SERVER) {
            throw new IllegalArgumentException("unsupported nacos.deployment.type " + type + " (use merged or server)");
        }
        EnvUtil.setDeploymentType(deploymentType);
        // Nacos' logback config (classpath:META-INF/logback/nacos.xml) writes to nacos.logs.path,
        // default ~/nacos/logs; keep the logs inside nacos.home like the distribution does.
        String home = System.getProperty("nacos.home");
        if (System.getProperty("nacos.logs.path") == null && home != null && !home.isBlank()) {
            System.setProperty("nacos.logs.path", java.nio.file.Paths.get(home, "logs").toString());
        }

        NacosStartUpManager.start(NacosStartUp.CORE_START_UP_PHASE);
        SpringApplicationBuilder basic = new SpringApplicationBuilder(NacosServerBasicApplication.class)
                .web(WebApplicationType.NONE);
        if (!EnvUtil.getStandaloneMode()) {
            basic.initializers(context -> context.getBeanFactory().addBeanPostProcessor(new ConfigRaftLeaderWait()));
        }
        ConfigurableApplicationContext core = basic.run(args);
        if (core.getEnvironment().getProperty("spring.jmx.enabled", Boolean.class, false)) {
            // the child contexts would register the same MBeans again
            core.getBean(MBeanExporter.class).setRegistrationPolicy(RegistrationPolicy.IGNORE_EXISTING);
        }

        NacosStartUpManager.start(NacosStartUp.WEB_START_UP_PHASE);
        new SpringApplicationBuilder(NacosServerWebApplication.class).parent(core).run(args);

        if (deploymentType == DeploymentType.MERGED) {
            NacosStartUpManager.start(NacosStartUp.CONSOLE_START_UP_PHASE);
            new SpringApplicationBuilder(NacosConsole.class).parent(core).run(args);
        }
    }

    /**
     * Cluster with embedded storage: hold back the config module's start-up reads until this node's
     * JRaft route table knows the leader of the {@code nacos_config} group.
     *
     * <p>Otherwise a node that sees the first election reads at once; the leader has not committed
     * at its term yet, so the read falls back to "read from the leader", whose address the route
     * table only learns on its next refresh (5-10 s): the read fails with "The Raft Group
     * [nacos_config] did not find the Leader node", that bean fails, the node exits and the others
     * lose their majority (upstream alibaba/nacos#10698). Runs before {@code @PostConstruct}, as it
     * is added to the bean factory ahead of Spring's own post-processors.
     */
    private static final class ConfigRaftLeaderWait implements BeanPostProcessor {

        private static final Set<String> FIRST_READERS = Set.of("configMigrateService", "embeddedDumpService");

        private boolean waited;

        @Override
        public Object postProcessBeforeInitialization(Object bean, String beanName) {
            if (waited || !FIRST_READERS.contains(beanName)) {
                return bean;
            }
            waited = true;
            long deadline = System.currentTimeMillis() + 120_000;
            try {
                while (RouteTable.getInstance().selectLeader("nacos_config") == null
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                Thread.sleep(1_000); // and give the new leader a moment to commit at its term
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return bean;
        }
    }
}
