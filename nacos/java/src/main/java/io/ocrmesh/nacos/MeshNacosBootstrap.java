package io.ocrmesh.nacos;

import com.alibaba.nacos.NacosServerBasicApplication;
import com.alibaba.nacos.NacosServerWebApplication;
import com.alibaba.nacos.console.NacosConsole;
import com.alibaba.nacos.core.listener.startup.NacosStartUp;
import com.alibaba.nacos.core.listener.startup.NacosStartUpManager;
import com.alibaba.nacos.sys.env.Constants;
import com.alibaba.nacos.sys.env.DeploymentType;
import com.alibaba.nacos.sys.env.EnvUtil;
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
        ConfigurableApplicationContext core = new SpringApplicationBuilder(NacosServerBasicApplication.class)
                .web(WebApplicationType.NONE).run(args);
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
}
