// A JDBC client for test_pgwire.py: runs a query through the PostgreSQL JDBC
// driver (the one DBeaver and Metabase use) as a PreparedStatement with the
// given string parameters, several times, and prints the last run's rows as
// tab-separated text, then the column type names.
//   java -cp postgresql.jar JdbcQuery.java URL USER PASSWORD RUNS QUERY [PARAM...]
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;

public class JdbcQuery {
  public static void main(String[] args) throws Exception {
    String url = args[0], user = args[1], password = args[2], query = args[4];
    int runs = Integer.parseInt(args[3]);
    try (Connection conn = DriverManager.getConnection(url, user, password)) {
      StringBuilder out = new StringBuilder();
      for (int run = 0; run < runs; run++) {
        out.setLength(0);
        try (PreparedStatement st = conn.prepareStatement(query)) {
          for (int i = 5; i < args.length; i++) st.setString(i - 4, args[i]);
          try (ResultSet rs = st.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
              for (int c = 1; c <= md.getColumnCount(); c++) {
                if (c > 1) out.append('\t');
                out.append(rs.getString(c));
              }
              out.append('\n');
            }
            for (int c = 1; c <= md.getColumnCount(); c++) {
              out.append(c > 1 ? "\t" : "types:").append(md.getColumnTypeName(c));
            }
            out.append('\n');
          }
        }
      }
      System.out.print(out);
    }
  }
}
